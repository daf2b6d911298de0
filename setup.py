from setuptools import find_packages, setup

setup(
    name='hrnet_mm',
    version='0.1.0',
    description='HRNet (V1/V2/V2p) for MMDetection 3.x, MMSegmentation 1.x and MMPose 1.x',
    packages=find_packages(include=['hrnet_mm', 'hrnet_mm.*']),
    python_requires='>=3.9',
    # The heavy stack (torch, mmcv with compiled ops, the toolboxes) is installed by
    # tools/setup_env.sh: mmcv must be built from source against the installed torch.
    install_requires=['mmengine==0.10.7', 'numpy', 'tqdm'],
)

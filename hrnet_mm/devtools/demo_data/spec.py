"""What the demo data is: its version, class lists, keypoint layouts, and its error."""



# Bump whenever the output layout or content changes: a manifest with another
# version makes the next run rebuild instead of reporting "up to date".
DEMO_DATA_VERSION = 1

MANIFEST_NAME = 'manifest.json'

# The 20 PASCAL VOC classes in the order (and spelling) mmdet/mmseg use, so the
# demo class lists read like the real VOC ones.  labelme spells two of them
# differently; see _VOC_ALIASES.
VOC_CLASSES = ('aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car',
               'cat', 'chair', 'cow', 'diningtable', 'dog', 'horse',
               'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train',
               'tvmonitor')
_VOC_ALIASES = {'potted plant': 'pottedplant', 'tv/monitor': 'tvmonitor'}
SEG_BACKGROUND = 'background'
SEG_IGNORE_INDEX = 255

COCO_BODY_KEYPOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear',
                       'left_shoulder', 'right_shoulder', 'left_elbow',
                       'right_elbow', 'left_wrist', 'right_wrist', 'left_hip',
                       'right_hip', 'left_knee', 'right_knee', 'left_ankle',
                       'right_ankle')
# The standard COCO person skeleton (1-based, as in person_keypoints_*.json).
COCO_BODY_SKELETON = [[16, 14], [14, 12], [17, 15], [15, 13], [12, 13], [6, 12],
                      [7, 13], [6, 7], [6, 8], [7, 9], [8, 10], [9, 11], [2, 3],
                      [1, 2], [1, 3], [2, 4], [3, 5], [4, 6], [5, 7]]

# COCO body slot -> 0-based iBUG-68 landmark index, for the pose substitute.
# "left" is the subject's left, as in COCO; in iBUG-68 the subject's left side has
# the higher indices (the jaw runs 0..16 from the subject's right ear to the left
# one).  Every left/right pair maps to a mirror-symmetric landmark pair, so
# mmpose's flip augmentation and flip test (which swap COCO's left/right slots)
# stay geometrically consistent.
POSE_FROM_FACE68 = {
    'nose': 30,             # nose tip
    'left_eye': 45,         # outer corner of the subject's left eye
    'right_eye': 36,        # outer corner of the subject's right eye
    'left_ear': 16,         # top of the jaw line, at the ear
    'right_ear': 0,
    'left_shoulder': 14,    # jaw line, lower than the ears
    'right_shoulder': 2,
    'left_elbow': 26,       # outer end of the eyebrow
    'right_elbow': 17,
    'left_wrist': 24,       # middle of the eyebrow
    'right_wrist': 19,
    'left_hip': 54,         # mouth corner
    'right_hip': 48,
    'left_knee': 12,        # jaw line, lower still
    'right_knee': 4,
    'left_ankle': 10,       # jaw line, next to the chin
    'right_ankle': 6,
}


class DemoDataError(RuntimeError):
    """A download failed, or a package's data is not laid out as expected."""

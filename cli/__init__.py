from . import danger_zone

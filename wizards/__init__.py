from . import (
    danger_zone_backup_wizard,
    danger_zone_delete_wizard,
    danger_zone_ownership_wizard,
    danger_zone_restore_wizard,
)

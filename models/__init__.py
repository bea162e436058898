# isort: skip_file
# The mixins first: the jobs inherit them.
from . import danger_zone_job, danger_zone_backup_download
from . import (
    danger_zone_backup,
    danger_zone_backup_copy,
    danger_zone_backup_trial,
    danger_zone_company_claim,
    danger_zone_deletion,
    danger_zone_password_failure,
    danger_zone_restore,
    danger_zone_scope,
    danger_zone_upload,
    ir_attachment,
    ir_http,
    res_company,
    res_company_actions,
)

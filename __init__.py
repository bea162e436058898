from . import cli, models, wizards
from .hooks import post_init_hook

"""python -m services.content"""

from shared.service import serve
from shared.settings import get_settings

from .app import NAME, create_app

serve(create_app(), get_settings(), NAME)

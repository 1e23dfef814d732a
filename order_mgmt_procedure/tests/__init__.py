from . import test_install
from . import test_procedure_stage
from . import test_processing
from . import test_reception
from . import test_review
from . import test_security
from . import test_settings
from . import test_translations

import os
import sys

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caim.settings")
# A worker's threads share one interpreter lock. After a publication one thread brings the list index up to date
# and renders a list (tens of milliseconds of Python) while the others answer kept pages in a fraction of one:
# switching threads every millisecond instead of every five keeps those short answers short.
sys.setswitchinterval(float(os.environ.get("CAIM_THREAD_SWITCH_SECONDS", "0.001")))
application = get_wsgi_application()

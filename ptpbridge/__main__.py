import sys

from ptpbridge.cli.main import main

sys.exit(main())

import sys

from rnnbook.grade.cli import main

sys.exit(main())

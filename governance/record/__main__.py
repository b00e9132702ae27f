"""``python -m governance.record``: regenerate the record's JSON Schema from the models."""

import sys

from governance.record.schema import write_schema

sys.stdout.write(f"wrote {write_schema()}\n")

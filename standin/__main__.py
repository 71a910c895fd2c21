from __future__ import annotations

from standin.cli import main

raise SystemExit(main())

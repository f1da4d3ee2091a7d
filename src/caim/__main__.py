from caim.cli import main

raise SystemExit(main())

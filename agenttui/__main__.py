from agenttui.entry import main

raise SystemExit(main())

from weldctl.cli import main

main()

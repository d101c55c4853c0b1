from wardsafe.cli import main

main()

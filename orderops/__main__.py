from orderops.cli import main

main()

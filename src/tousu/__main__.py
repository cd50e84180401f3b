from tousu.cli import main

main()

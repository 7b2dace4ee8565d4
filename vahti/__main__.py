from vahti.cli import main

main()

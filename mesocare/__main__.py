from mesocare.cli import main

main()

"""`python -m agents.receptionist --host 127.0.0.1 --port 8765`"""

from .server import main

if __name__ == "__main__":
    main()

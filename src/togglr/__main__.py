from togglr.cli.main import app

app()

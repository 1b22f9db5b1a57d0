"""``python -m campaign_pipelines.cli.main`` runs the same CLI as the ``campaign`` script."""

from campaign_pipelines.cli import app

if __name__ == "__main__":
    app()

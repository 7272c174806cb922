"""flask seed-demo (placeholder until the demo module lands)."""
import click

@click.command("seed-demo")
def seed_demo():
    """Load demo data."""

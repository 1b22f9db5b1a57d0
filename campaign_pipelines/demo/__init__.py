"""The end-to-end demo: the whole chain on the real North Carolina files with synthetic voters."""

from campaign_pipelines.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]

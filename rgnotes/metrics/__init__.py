"""Metrics computed from data: ``phop`` (particle-hop indicator of glassy trajectories)."""

from .phop import phop, window_frames

__all__ = ["phop", "window_frames"]

"""Spoken guidance at the panel: prompts as WAV files, played through ALSA's aplay."""

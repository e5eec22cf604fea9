"""workerpool: an iExec workerpool (scheduler + workers) on the genuine PoCo v6 contracts."""
__version__ = "0.1.0"

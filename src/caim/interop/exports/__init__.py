"""One-record exports for other databases: OECD common reporting framework fields (oecd.py) and AIID report
submissions (aiid.py), served by caim.interop.views."""

"""The AI Incident Database (AIID) data as a reference corpus beside our own records.

reader.py reads and checks the AIID files (the one reader of them), names.py says how AIID things are named
here, crosswalk.py maps AIID classifications into our vocabularies, importer.py writes the corpus (`caim
import-aiid`) and its draft records. AIID content is CC BY-SA 4.0 (`reader.ATTRIBUTION`).
"""

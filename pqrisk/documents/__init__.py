"""Official documents (公文) the platform writes: shared .docx layout and PDF rendering."""

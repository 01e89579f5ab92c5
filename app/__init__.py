"""App layer: the Streamlit glue the pages share, split by job —

nav       the page registry (address, filters, default period), navigation, the app frame;
urlstate  the language, filters and page choices kept in the address;
reads     cached reads of the read side (kpi) and the database checks the app makes on start;
widgets   the title band, charts, maps, tables and downloads, the upload report;
pagefmt   formatting that only pages need (tiles, sentences, labels).

It sits above base, etl and kpi: nothing below imports it, and kpi holds no Streamlit import.
"""

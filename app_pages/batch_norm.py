from studykit.ui.pages import topic_page

topic_page("batch_norm")

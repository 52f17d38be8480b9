"""``keras.preprocessing.text``: empty in Keras 3 (its text tools are the
``TextVectorization`` layer and ``text_dataset_from_directory``)."""

__all__ = []

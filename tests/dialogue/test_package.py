import dialogue


def test_public_names_sorted_and_importable() -> None:
    assert dialogue.__all__ == sorted(dialogue.__all__)
    for name in dialogue.__all__:
        assert getattr(dialogue, name) is not None

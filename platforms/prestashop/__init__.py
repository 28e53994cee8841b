"""PrestaShop 1.7 / 8 through its webservice: JSON out, XML in (store-platforms.md §4, §7)."""

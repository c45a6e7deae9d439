package sqlstore

// maxKeptRows bounds a keptRows: the open mints or transactions.
const maxKeptRows = 1 << 14

// keptRows holds, by key, rows as this process wrote them last, so that
// the next write can be conditioned on them instead of reading the row
// first (see updateMint and updateTx). It is a cache: past maxKeptRows it
// starts over, and a row it lacks is read.
type keptRows[T any] map[string]*T

// keep puts row under key, or drops the key when the row is final (no
// write follows it any more).
func (k *keptRows[T]) keep(key string, row *T, final bool) {
	if final {
		delete(*k, key)
		return
	}
	if *k == nil || len(*k) >= maxKeptRows {
		*k = make(keptRows[T]) // start over
	}
	(*k)[key] = row
}

// take removes and returns the row under key, nil if none.
func (k keptRows[T]) take(key string) *T {
	row := k[key]
	delete(k, key)
	return row
}

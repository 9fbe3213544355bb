# Shared by the scale scripts (source it): a store is its folder and the
# files vecimg keeps beside it (the index, NAME.hnsw, and the vector
# positions, NAME.vpos, each with its temporary files).

# rm_store DB...: deletes each store DB with the files beside it.
rm_store() {
	local db
	for db in "$@"; do
		rm -rf "$db" "$db".hnsw* "$db".vpos*
	done
}

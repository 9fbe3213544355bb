package server

import (
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// Failure 5 of issue 18: a symbolic link in a watched folder made the
// server serve a file from elsewhere on the host. A stored image whose file
// leads out of the folder it was ingested from is refused (403), unless the
// server follows links.
func TestMediaLinkOutOfFolder(t *testing.T) {
	for _, follow := range []bool{false, true} {
		s, f, dir := newTestServer(t, 2, Config{FollowLinks: follow})
		h := s.Handler()
		outside := filepath.Join(t.TempDir(), "secret.png")
		data, err := os.ReadFile(f.imgs["1"].Path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(outside, data, 0o644); err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(dir, "link.png")
		if err := os.Symlink(outside, link); err != nil {
			t.Fatal(err)
		}
		inLink := filepath.Join(dir, "inlink.png")
		if err := os.Symlink(f.imgs["0"].Path, inLink); err != nil {
			t.Fatal(err)
		}
		if err := f.addFile("link", link); err != nil {
			t.Fatal(err)
		}
		if err := f.addFile("inlink", inLink); err != nil {
			t.Fatal(err)
		}
		wantOK(t, get(t, h, "/api/v1/images/inlink/file")) // a link inside the folder
		for _, u := range []string{"/api/v1/images/link/file", "/api/v1/images/link/thumb"} {
			rec := get(t, h, u)
			if follow {
				wantOK(t, rec)
			} else {
				wantError(t, rec, http.StatusForbidden, "leads outside the folder it was ingested from")
			}
		}
	}
}

// Package benchenv is what the benchmark commands (bench/poolbench,
// bench/shardbench) share: a throw-away sandbox of real MariaDB servers and
// the markdown file they append their results to.
package benchenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/strata-proxy/strata/config"
	"github.com/strata-proxy/strata/sandbox"
)

// Sandbox starts the servers of cfg in a fresh temporary directory named
// after the benchmark; down stops them and removes the directory.
func Sandbox(ctx context.Context, name string, cfg *config.Config, extraConfig ...string) (sb *sandbox.Sandbox, down func() error, err error) {
	if !sandbox.MariaDBInstalled() {
		return nil, nil, errors.New("mariadbd not installed (make deps installs it)")
	}
	dir, err := os.MkdirTemp("", "strata-"+name+"-")
	if err != nil {
		return nil, nil, err
	}
	sb, err = sandbox.Up(ctx, cfg, sandbox.Options{Dir: filepath.Join(dir, "sb"), KillWithParent: true, ExtraConfig: extraConfig})
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("sandbox: %w", err)
	}
	return sb, func() error {
		defer os.RemoveAll(dir)
		if err := sb.Down(context.Background()); err != nil {
			return fmt.Errorf("sandbox down: %w", err)
		}
		return nil
	}, nil
}

// AppendSection appends a markdown section to the file at path.
func AppendSection(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

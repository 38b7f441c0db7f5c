package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/strata-proxy/strata/config"
)

// runPasswordHash prints the users[].password_hash of a password read from
// the first line of standard input, so the secret is never an argument
// (visible in ps and the shell's history). It is what MariaDB's
// PASSWORD('secret') prints.
func runPasswordHash(args []string) error {
	if len(args) > 0 {
		return errors.New("takes no arguments: give the password on standard input, e.g. strata password-hash < secret.txt")
	}
	line, err := bufio.NewReader(cliIn).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the password: %w", err)
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return errors.New("standard input holds no password (an account without one needs neither password nor password_hash)")
	}
	_, err = fmt.Fprintln(cliOut, config.FormatPasswordHash(config.NativePasswordHash(password)))
	return err
}

package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
	"golang.org/x/term"
)

// minPassword is the fewest characters a password may have: a TAXII
// password is typed into a client's settings once, so length costs nothing.
const minPassword = 12

func runHashPassword(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "hash-password", "[--cost N] < password")
	cost := fs.Int("cost", bcrypt.DefaultCost, "bcrypt cost (10-31; each step doubles the work)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	if *cost < bcrypt.DefaultCost || *cost > bcrypt.MaxCost {
		// bcrypt would silently raise a cost below 4 to 10; below 10 is
		// too cheap against an offline guess of a leaked config.
		return fmt.Errorf("hash-password: --cost %d: use %d to %d", *cost, bcrypt.DefaultCost, bcrypt.MaxCost)
	}
	password, err := readPassword(e)
	if err != nil {
		return err
	}
	if n := utf8.RuneCountInString(password); n < minPassword {
		return fmt.Errorf("hash-password: the password has %d characters: use at least %d", n, minPassword)
	}
	if len(password) > 72 {
		return errors.New("hash-password: bcrypt reads 72 bytes at most: use a shorter password")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), *cost)
	if err != nil {
		return fmt.Errorf("hash-password: %w", err)
	}
	fmt.Fprintln(e.stdout, string(hash))
	return nil
}

// readPassword reads the password from a pipe, or, on a terminal, asks
// for it twice without echoing it.
func readPassword(e env) (string, error) {
	if f, ok := e.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		var typed [2]string
		for i, prompt := range []string{"Password: ", "Again: "} {
			fmt.Fprint(e.stderr, prompt)
			b, err := term.ReadPassword(int(f.Fd()))
			fmt.Fprintln(e.stderr)
			if err != nil {
				return "", fmt.Errorf("hash-password: %w", err)
			}
			typed[i] = string(b)
		}
		if typed[0] != typed[1] {
			return "", errors.New("hash-password: the two passwords differ")
		}
		return typed[0], nil
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", errors.New("hash-password: no password on stdin")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

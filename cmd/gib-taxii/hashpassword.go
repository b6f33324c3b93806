package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

func runHashPassword(_ context.Context, e env, args []string) error {
	fs := newFlags(e, "hash-password", "[--cost N] < password")
	cost := fs.Int("cost", bcrypt.DefaultCost, "bcrypt cost (4-31)")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	line, err := bufio.NewReader(e.stdin).ReadString('\n')
	if err != nil && line == "" {
		return errors.New("hash-password: no password on stdin")
	}
	password := strings.TrimRight(line, "\r\n")
	if password == "" {
		return errors.New("hash-password: the password is empty")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), *cost)
	if err != nil {
		return fmt.Errorf("hash-password: %w", err)
	}
	fmt.Fprintln(e.stdout, string(hash))
	return nil
}

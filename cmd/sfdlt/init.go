package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/sfdlt/sfdlt"
)

func newInitCmd() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:       "init [duckdb|postgres]",
		Short:     "Write .dlt/secrets.toml and .dlt/config.toml templates, as 'dlt init salesforce duckdb' does",
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: []string{"duckdb", "postgres"},
		RunE: func(cmd *cobra.Command, args []string) error {
			dest := "duckdb"
			if len(args) == 1 {
				dest = args[0]
			}
			secrets, config, err := sfdlt.InitFiles(dest)
			if err != nil {
				return err
			}
			if err := os.MkdirAll(".dlt", 0o700); err != nil {
				return fmt.Errorf("creating .dlt: %w", err)
			}
			for _, f := range []struct {
				name, body string
				mode       fs.FileMode
			}{{"secrets.toml", secrets, 0o600}, {"config.toml", config, 0o644}} {
				path := filepath.Join(".dlt", f.name)
				flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
				if force {
					flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
				}
				file, err := os.OpenFile(path, flag, f.mode)
				if errors.Is(err, fs.ErrExist) {
					return fmt.Errorf("%s already exists: edit it, or pass --force to overwrite it", path)
				}
				if err != nil {
					return fmt.Errorf("writing %s: %w", path, err)
				}
				if _, err := file.WriteString(f.body); err != nil {
					file.Close()
					return fmt.Errorf("writing %s: %w", path, err)
				}
				if err := file.Close(); err != nil {
					return fmt.Errorf("writing %s: %w", path, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "wrote %s\n", path)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "Fill in the Salesforce credentials in .dlt/secrets.toml, then run: sfdlt run")
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "overwrite existing files")
	return cmd
}

package main

import (
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/cofferhq/coffer"
	"github.com/cofferhq/coffer/store"
)

// auditChainer is the store's ascending, paged read of the audit log.
type auditChainer interface {
	AuditChain(ctx context.Context, afterSeq int64, limit int) ([]*coffer.AuditRecord, error)
}

func runAudit(ctx context.Context, args []string) error {
	sub, rest, err := subcommand("audit", args, map[string]string{
		"verify": "check the audit log's hash chain; exit status 1 names the first broken record",
	})
	if err != nil {
		return err
	}
	_ = sub
	var page int
	var anchor string
	cfg, _, err := loadConfig("audit verify", "Walks the whole signing audit log in pages and checks that every record is\n"+
		"unaltered and chained to the one before, and that the log ends at the audit head\n"+
		"the store keeps apart from it. Prints the head to record as an external anchor.", rest, func(fs *flag.FlagSet) {
		fs.IntVar(&page, "page", 1000, "records read per query")
		fs.StringVar(&anchor, "anchor", "", "an earlier head printed by this command, as <seq>:<hex hash>; the record at seq must still carry it")
	})
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, cfg.Store.Driver, cfg.Store.DSN)
	if err != nil {
		return err
	}
	defer st.Close()
	return verifyAudit(ctx, st, page, anchor, os.Stdout)
}

// verifyAudit checks the chain of st and reports to w; a broken chain is an
// error naming the first bad record.
func verifyAudit(ctx context.Context, st coffer.Store, page int, anchor string, w io.Writer) error {
	ac, ok := st.(auditChainer)
	if !ok {
		return errors.New("this store cannot read the audit chain")
	}
	var anchorSeq int64
	var anchorHash []byte
	if anchor != "" {
		s, h, ok := strings.Cut(anchor, ":")
		n, err := strconv.ParseInt(s, 10, 64)
		hb, herr := hex.DecodeString(strings.TrimPrefix(h, "0x"))
		if !ok || err != nil || n <= 0 || herr != nil || len(hb) != 32 {
			return fmt.Errorf("--anchor must be <seq>:<64 hex digits>, as printed by a previous verify")
		}
		anchorSeq, anchorHash = n, hb
	}
	if page <= 0 {
		page = 1000
	}
	broken := func(err error) error {
		fmt.Fprintf(w, "audit log BROKEN: %v\n", err)
		return fmt.Errorf("audit log verification failed: %w", err)
	}
	var v coffer.AuditVerifier
	var after int64
	anchorSeen := false
	for {
		recs, err := ac.AuditChain(ctx, after, page)
		if err != nil {
			return err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if err := v.Add(r); err != nil {
				return broken(err)
			}
			if r.Seq == anchorSeq {
				anchorSeen = true
				if string(r.Hash) != string(anchorHash) {
					return broken(&coffer.AuditBreak{Seq: r.Seq, Reason: "does not carry the anchored hash (the log was rewritten from here or earlier)"})
				}
			}
		}
		after = recs[len(recs)-1].Seq
	}
	headSeq, headHash, err := st.AuditHead(ctx)
	if err != nil {
		return err
	}
	if err := v.Finish(headSeq, headHash); err != nil {
		return broken(err)
	}
	if anchorSeq > 0 && !anchorSeen {
		return broken(&coffer.AuditBreak{Seq: anchorSeq, Reason: "anchored record is missing (the log was truncated)"})
	}
	last, h := v.Last()
	if last == 0 {
		fmt.Fprintln(w, "audit log verified: empty")
		return nil
	}
	fmt.Fprintf(w, "audit log verified: %d records\nhead (record it elsewhere and pass it as --anchor later): %d:%x\n", v.Count(), last, h)
	return nil
}

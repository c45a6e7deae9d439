package devchain

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/eth"
)

// SendManyMethod is the dev chain's JSON-RPC method that adds a run of signed
// transactions to the pool in one step (in-process clients only; the HTTP
// and WebSocket endpoints serve the standard namespaces).
//
// Why: the chain mines on arrival, and eth_sendRawTransaction adds one
// transaction at a time, so a JSON-RPC batch of them is sealed into a block
// after its first few arrivals and the rest into the next ones. Each block
// costs the chain about as much as five mints, so coffer's runs of nonces
// went into two or three blocks each instead of one.
const SendManyMethod = "coffer_sendRawTransactions"

// MaxSendMany is the most transactions one SendManyMethod call takes, as
// go-ethereum bounds a JSON-RPC batch.
const MaxSendMany = 1000

// sendAPI serves SendManyMethod.
type sendAPI struct{ eth *eth.Ethereum }

// SendRawTransactions decodes each raw transaction and adds those that
// decode to the pool together. It answers each as eth_sendRawTransaction
// would: "" when the pool took it, else the error's message (the same
// texts: "nonce too low", "already known", …).
func (a *sendAPI) SendRawTransactions(raws []hexutil.Bytes) ([]string, error) {
	if len(raws) > MaxSendMany {
		return nil, fmt.Errorf("%d transactions in one call; at most %d", len(raws), MaxSendMany)
	}
	answers := make([]string, len(raws))
	txs := make([]*types.Transaction, 0, len(raws))
	at := make([]int, 0, len(raws)) // txs[j] is raws[at[j]]
	for i, raw := range raws {
		tx := new(types.Transaction)
		if err := tx.UnmarshalBinary(raw); err != nil {
			answers[i] = err.Error()
			continue
		}
		if err := a.check(tx); err != nil {
			answers[i] = err.Error()
			continue
		}
		txs, at = append(txs, tx), append(at, i)
	}
	for j, err := range a.eth.TxPool().Add(txs, false) {
		if err != nil {
			answers[at[j]] = err.Error()
		}
	}
	return answers, nil
}

// check refuses what eth_sendRawTransaction refuses before the pool:
// transactions without replay protection (unless the node allows them).
// Blob transactions carry sidecars that method converts; they go there.
func (a *sendAPI) check(tx *types.Transaction) error {
	if tx.Type() == types.BlobTxType {
		return errors.New("blob transactions: send them with eth_sendRawTransaction")
	}
	if !a.eth.APIBackend.UnprotectedAllowed() && !tx.Protected() {
		return errors.New("only replay-protected (EIP-155) transactions allowed over RPC")
	}
	return nil
}

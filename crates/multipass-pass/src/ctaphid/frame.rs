//! CTAPHID packet framing: one message split into an initialisation packet and up to 128
//! continuation packets, and the bounded reassembly of what a device sends back.

use thiserror::Error;

/// Every CTAPHID report is exactly this long, whatever the transport.
pub const REPORT_LEN: usize = 64;
/// Payload bytes in an initialisation packet (after CID, CMD and the two length bytes).
pub const INIT_DATA_LEN: usize = REPORT_LEN - 7;
/// Payload bytes in a continuation packet (after CID and SEQ).
pub const CONT_DATA_LEN: usize = REPORT_LEN - 5;
/// Continuation packets are numbered 0..=127.
pub const MAX_SEQ: u8 = 0x7F;
/// The largest message the framing can carry: 57 + 128 * 59.
pub const MAX_MESSAGE_LEN: usize = INIT_DATA_LEN + (MAX_SEQ as usize + 1) * CONT_DATA_LEN;
/// The channel used before a device has allocated one.
pub const BROADCAST_CID: u32 = 0xFFFF_FFFF;

const TYPE_INIT: u8 = 0x80;

/// One HID report.
pub type Report = [u8; REPORT_LEN];

/// A whole CTAPHID message: channel, command (without the init bit) and payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub cid: u32,
    pub cmd: u8,
    pub data: Vec<u8>,
}

/// What can be wrong with the packets of a message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrameError {
    #[error("the message is {len} bytes long; CTAPHID carries at most {MAX_MESSAGE_LEN}")]
    TooLong { len: usize },
    #[error("the pass answered on channel {got:#010x} instead of {expected:#010x}")]
    WrongChannel { expected: u32, got: u32 },
    #[error("the pass sent continuation packet {seq} without a message start")]
    UnexpectedContinuation { seq: u8 },
    #[error("the pass started a new message before finishing the previous one")]
    InterruptedMessage,
    #[error("the pass sent continuation packet {got} where {expected} was due")]
    BadSequence { expected: u8, got: u8 },
    #[error("the command byte {cmd:#04x} is not a CTAPHID command")]
    BadCommand { cmd: u8 },
}

/// The channel a report belongs to.
pub fn channel_of(report: &Report) -> u32 {
    u32::from_be_bytes([report[0], report[1], report[2], report[3]])
}

/// Whether the report starts a message (as opposed to continuing one).
pub fn is_init(report: &Report) -> bool {
    report[4] & TYPE_INIT != 0
}

/// The command of an initialisation packet, without the init bit.
pub fn command_of(report: &Report) -> Option<u8> {
    is_init(report).then_some(report[4] & !TYPE_INIT)
}

/// Splits a message into reports, zero-padded to the report length.
pub fn fragment(cid: u32, cmd: u8, data: &[u8]) -> Result<Vec<Report>, FrameError> {
    if data.len() > MAX_MESSAGE_LEN {
        return Err(FrameError::TooLong { len: data.len() });
    }
    if cmd & TYPE_INIT != 0 {
        return Err(FrameError::BadCommand { cmd });
    }
    let len = u16::try_from(data.len()).map_err(|_| FrameError::TooLong { len: data.len() })?;
    let cid_bytes = cid.to_be_bytes();
    let mut reports = Vec::with_capacity(
        1 + data
            .len()
            .saturating_sub(INIT_DATA_LEN)
            .div_ceil(CONT_DATA_LEN),
    );
    let mut first = [0u8; REPORT_LEN];
    first[..4].copy_from_slice(&cid_bytes);
    first[4] = TYPE_INIT | cmd;
    first[5..7].copy_from_slice(&len.to_be_bytes());
    let head = data.len().min(INIT_DATA_LEN);
    first[7..7 + head].copy_from_slice(&data[..head]);
    reports.push(first);
    for (seq, chunk) in data[head..].chunks(CONT_DATA_LEN).enumerate() {
        let mut report = [0u8; REPORT_LEN];
        report[..4].copy_from_slice(&cid_bytes);
        // The length bound above keeps `seq` within 0..=127.
        report[4] = u8::try_from(seq).map_err(|_| FrameError::TooLong { len: data.len() })?;
        report[5..5 + chunk.len()].copy_from_slice(chunk);
        reports.push(report);
    }
    Ok(reports)
}

#[derive(Debug)]
struct Partial {
    cid: u32,
    cmd: u8,
    total: usize,
    data: Vec<u8>,
    next_seq: u8,
}

/// Collects reports into messages. Memory is bounded by [`MAX_MESSAGE_LEN`] whatever arrives.
#[derive(Debug, Default)]
pub struct Reassembler {
    expected_cid: Option<u32>,
    partial: Option<Partial>,
}

impl Reassembler {
    /// A reassembler that only accepts reports on `cid` (the host side).
    pub fn for_channel(cid: u32) -> Self {
        Self {
            expected_cid: Some(cid),
            partial: None,
        }
    }

    /// A reassembler that accepts a message on any channel (the device side); once a message
    /// has started, reports on other channels are errors.
    pub fn any_channel() -> Self {
        Self::default()
    }

    /// Whether a message has started but not finished.
    pub fn in_progress(&self) -> bool {
        self.partial.is_some()
    }

    /// The channel of the message in progress.
    pub fn current_channel(&self) -> Option<u32> {
        self.partial.as_ref().map(|p| p.cid)
    }

    /// Drops any partial message.
    pub fn reset(&mut self) {
        self.partial = None;
    }

    /// Takes one report; returns the message once its last report has arrived. After an
    /// error the partial message is dropped.
    pub fn push(&mut self, report: &Report) -> Result<Option<Message>, FrameError> {
        let result = self.push_inner(report);
        if result.is_err() {
            self.partial = None;
        }
        result
    }

    fn push_inner(&mut self, report: &Report) -> Result<Option<Message>, FrameError> {
        let cid = channel_of(report);
        let wanted = self.expected_cid.or(self.partial.as_ref().map(|p| p.cid));
        if let Some(expected) = wanted
            && expected != cid
        {
            return Err(FrameError::WrongChannel { expected, got: cid });
        }
        if is_init(report) {
            if self.partial.is_some() {
                return Err(FrameError::InterruptedMessage);
            }
            let cmd = report[4] & !TYPE_INIT;
            let total = usize::from(u16::from_be_bytes([report[5], report[6]]));
            if total > MAX_MESSAGE_LEN {
                return Err(FrameError::TooLong { len: total });
            }
            let head = total.min(INIT_DATA_LEN);
            let mut data = Vec::with_capacity(total);
            data.extend_from_slice(&report[7..7 + head]);
            let partial = Partial {
                cid,
                cmd,
                total,
                data,
                next_seq: 0,
            };
            return Ok(self.finish_or_keep(partial));
        }
        let seq = report[4];
        let Some(mut partial) = self.partial.take() else {
            return Err(FrameError::UnexpectedContinuation { seq });
        };
        if seq != partial.next_seq {
            return Err(FrameError::BadSequence {
                expected: partial.next_seq,
                got: seq,
            });
        }
        let take = (partial.total - partial.data.len()).min(CONT_DATA_LEN);
        partial.data.extend_from_slice(&report[5..5 + take]);
        partial.next_seq = partial.next_seq.saturating_add(1);
        Ok(self.finish_or_keep(partial))
    }

    fn finish_or_keep(&mut self, partial: Partial) -> Option<Message> {
        if partial.data.len() >= partial.total {
            Some(Message {
                cid: partial.cid,
                cmd: partial.cmd,
                data: partial.data,
            })
        } else {
            self.partial = Some(partial);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;
    use rstest::rstest;

    fn reassemble(reports: &[Report], cid: u32) -> Result<Option<Message>, FrameError> {
        let mut r = Reassembler::for_channel(cid);
        let mut out = None;
        for report in reports {
            out = r.push(report)?;
        }
        Ok(out)
    }

    #[rstest]
    #[case::empty(0, 1)]
    #[case::one_init(57, 1)]
    #[case::first_cont(58, 2)]
    #[case::two_cont(57 + 59 + 1, 3)]
    #[case::max(MAX_MESSAGE_LEN, 129)]
    fn packet_counts(#[case] len: usize, #[case] packets: usize) {
        let reports = fragment(7, 0x10, &vec![0xAB; len]).unwrap();
        assert_eq!(reports.len(), packets);
        assert_eq!(reports.last().unwrap()[4] & 0x80 == 0, packets > 1);
    }

    #[test]
    fn known_ping_layout() {
        let reports = fragment(0x0102_0304, 0x01, b"hi").unwrap();
        let mut expected = [0u8; REPORT_LEN];
        expected[..9].copy_from_slice(&[1, 2, 3, 4, 0x81, 0, 2, b'h', b'i']);
        assert_eq!(reports, vec![expected]);
    }

    #[test]
    fn too_long_is_refused_both_ways() {
        assert_eq!(
            fragment(1, 1, &vec![0; MAX_MESSAGE_LEN + 1]),
            Err(FrameError::TooLong {
                len: MAX_MESSAGE_LEN + 1
            })
        );
        let mut report = [0u8; REPORT_LEN];
        report[..7].copy_from_slice(&[0, 0, 0, 1, 0x90, 0xFF, 0xFF]);
        assert_eq!(
            reassemble(&[report], 1),
            Err(FrameError::TooLong { len: 0xFFFF })
        );
    }

    #[rstest]
    #[case::wrong_channel(|r: &mut Vec<Report>| r[1][3] = 9, FrameError::WrongChannel { expected: 1, got: 9 })]
    #[case::skipped_seq(|r: &mut Vec<Report>| r[1][4] = 1, FrameError::BadSequence { expected: 0, got: 1 })]
    #[case::repeated_init(|r: &mut Vec<Report>| r[1] = r[0], FrameError::InterruptedMessage)]
    #[case::continuation_first(|r: &mut Vec<Report>| { r.remove(0); }, FrameError::UnexpectedContinuation { seq: 0 })]
    fn malformed_sequences(#[case] damage: fn(&mut Vec<Report>), #[case] expected: FrameError) {
        let mut reports = fragment(1, 0x10, &[5u8; 200]).unwrap();
        damage(&mut reports);
        assert_eq!(reassemble(&reports, 1), Err(expected));
    }

    #[test]
    fn after_an_error_a_new_message_is_accepted() {
        let mut r = Reassembler::for_channel(1);
        let reports = fragment(1, 0x10, &[5u8; 100]).unwrap();
        assert!(r.push(&reports[1]).is_err());
        assert_eq!(r.push(&reports[0]).unwrap(), None);
        assert_eq!(r.push(&reports[1]).unwrap().unwrap().data, vec![5u8; 100]);
    }

    proptest! {
        #[test]
        fn fragmentation_round_trips(cid in any::<u32>(), cmd in 0u8..0x80, data in proptest::collection::vec(any::<u8>(), 0..=MAX_MESSAGE_LEN)) {
            let reports = fragment(cid, cmd, &data).unwrap();
            let message = reassemble(&reports, cid).unwrap().unwrap();
            prop_assert_eq!(message, Message { cid, cmd, data });
        }

        #[test]
        fn arbitrary_reports_never_panic_or_overgrow(reports in proptest::collection::vec(proptest::array::uniform32(any::<u8>()), 0..300)) {
            let mut r = Reassembler::any_channel();
            for half in reports {
                let mut report = [0u8; REPORT_LEN];
                report[..32].copy_from_slice(&half);
                report[32..].copy_from_slice(&half);
                if let Ok(Some(m)) = r.push(&report) {
                    prop_assert!(m.data.len() <= MAX_MESSAGE_LEN);
                }
            }
        }
    }
}

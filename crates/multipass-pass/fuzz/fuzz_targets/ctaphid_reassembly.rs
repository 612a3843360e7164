//! Whatever reports a device sends, reassembly ends in a message, an error or waiting, never
//! a panic, and never holds more than one maximum-size message.
#![no_main]

use libfuzzer_sys::fuzz_target;
use multipass_pass::ctaphid::frame::{
    MAX_MESSAGE_LEN, REPORT_LEN, Reassembler, Report, channel_of,
};

fuzz_target!(|data: &[u8]| {
    let reports: Vec<Report> = data
        .chunks(REPORT_LEN)
        .map(|chunk| {
            let mut report = [0u8; REPORT_LEN];
            report[..chunk.len()].copy_from_slice(chunk);
            report
        })
        .collect();
    let Some(first) = reports.first() else { return };
    let mut host = Reassembler::for_channel(channel_of(first));
    let mut device = Reassembler::any_channel();
    for report in &reports {
        for reassembler in [&mut host, &mut device] {
            if let Ok(Some(message)) = reassembler.push(report) {
                assert!(message.data.len() <= MAX_MESSAGE_LEN);
            }
        }
    }
});

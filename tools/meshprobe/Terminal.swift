import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The interactive terminal of `meshprobe watch`: raw keyboard input (no echo, no line buffering, Ctrl-C read
/// as a key), the alternate screen, and the restoration of all of it on every way out (q, Ctrl-C, SIGINT,
/// SIGTERM, SIGHUP).
///
/// Invariant: once `enter()` returned, `restore()` puts the saved `termios` back and leaves the alternate
/// screen exactly once, whichever path calls it first.
final class Terminal: Sendable {
    /// Whether standard input and output are both terminals (else `watch` prints plain lines).
    static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

    /// Columns of the terminal, 80 when unknown.
    static var columns: Int {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 else { return 80 }
        return Int(size.ws_col)
    }

    private let saved = Mutex<termios?>(nil)

    /// Switches to raw input and the alternate screen; the cursor is hidden.
    func enter() throws(ProbeFailure) {
        var original = termios()
        guard tcgetattr(STDIN_FILENO, &original) == 0 else {
            throw ProbeFailure(.usage, "cannot read the terminal's settings: \(String(cString: strerror(errno)))")
        }
        var raw = original
        raw.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
        raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
        withUnsafeMutableBytes(of: &raw.c_cc) { cc in
            cc[Int(VMIN)] = 1
            cc[Int(VTIME)] = 0
        }
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0 else {
            throw ProbeFailure(.usage, "cannot set the terminal to raw mode: \(String(cString: strerror(errno)))")
        }
        saved.withLock { $0 = original }
        emit("\u{1B}[?1049h\u{1B}[?25l")
    }

    /// Puts the terminal back as `enter()` found it. Safe to call more than once, from any thread.
    func restore() {
        guard
            var original = saved.withLock({ s -> termios? in
                defer { s = nil }
                return s
            })
        else { return }
        emit("\u{1B}[?25h\u{1B}[?1049l")
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
    }

    /// Redraws the screen in place: cursor home, each line cleared to its end, the rest of the screen cleared.
    func draw(_ lines: [String]) {
        emit("\u{1B}[H" + lines.map { $0 + "\u{1B}[K" }.joined(separator: "\r\n") + "\u{1B}[J")
    }

    func emit(_ text: String) {
        var bytes = Array(text.utf8)
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { write(STDOUT_FILENO, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            done += n
        }
    }
}

/// Set by the signal handlers of `QuitSignal`; an atomic store is async-signal-safe.
private let quitRaised = Atomic<Bool>(false)

/// Set once when `watch` should stop: a key (q, Q, Ctrl-C) or a signal. One per process.
final class QuitSignal: Sendable {
    var isRaised: Bool { quitRaised.load(ordering: .acquiring) }

    func raise() { quitRaised.store(true, ordering: .releasing) }

    /// Turns SIGINT, SIGTERM and SIGHUP into `raise()` (instead of killing the process with the terminal raw).
    func catchSignals() {
        for number in [SIGINT, SIGTERM, SIGHUP] {
            signal(number) { _ in quitRaised.store(true, ordering: .releasing) }
        }
    }

    /// Reads keys from standard input on a thread of its own until a quit key or `raise()`.
    func watchKeys() {
        let thread = Thread { [self] in
            var byte: UInt8 = 0
            while !isRaised {
                var fds = pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0)
                guard poll(&fds, 1, 100) > 0 else { continue }
                let n = read(STDIN_FILENO, &byte, 1)
                if n == 0 { return }  // end of input: keep watching until a signal
                if n == 1, [UInt8(ascii: "q"), UInt8(ascii: "Q"), 0x03].contains(byte) { raise() }
            }
        }
        thread.start()
    }
}

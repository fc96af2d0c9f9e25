import Foundation

/// Audio as a WAV file holds it: one array of samples in [-1, 1] per channel.
public struct WAVAudio: Equatable, Sendable {
    public var sampleRate: Int
    public var channels: [[Float]]

    public init(sampleRate: Int, channels: [[Float]]) {
        self.sampleRate = sampleRate
        self.channels = channels
    }

    public var frames: Int { channels.first?.count ?? 0 }
}

/// How samples are stored in a WAV file.
public enum WAVSampleFormat: Sendable {
    /// 16-bit integers (`WAVE_FORMAT_PCM`), the most common.
    case pcm16
    /// 24-bit integers, as recording software writes them.
    case pcm24
    /// 32-bit floats (`WAVE_FORMAT_IEEE_FLOAT`): exact for a model's output.
    case float32

    var bits: Int {
        switch self {
        case .pcm16: return 16
        case .pcm24: return 24
        case .float32: return 32
        }
    }
}

public struct WAVError: Error, CustomStringConvertible {
    public var description: String
    init(_ path: String, _ message: String) { description = "\(path): \(message)" }
}

/// Reads and writes RIFF WAVE files: 16-, 24- and 32-bit integer PCM and
/// 32-bit float, any number of channels (WAVE_FORMAT_EXTENSIBLE too);
/// chunks other than `fmt ` and `data` are skipped.
public enum WAV {
    public static func read(_ path: String) throws -> WAVAudio {
        guard let data = FileManager.default.contents(atPath: path) else { throw WAVError(path, "cannot read the file") }
        return try parse([UInt8](data), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String = "WAV") throws -> WAVAudio {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        func tag(_ at: Int) -> String { String(decoding: bytes[at..<(at + 4)], as: UTF8.self) }
        guard bytes.count >= 12, tag(0) == "RIFF", tag(8) == "WAVE" else { throw WAVError(path, "not a RIFF WAVE file") }
        var format: (tag: Int, channels: Int, rate: Int, bits: Int)?
        var samples: ArraySlice<UInt8>?
        var at = 12
        while at + 8 <= bytes.count {
            let id = tag(at), size = u32(at + 4), body = at + 8
            guard size <= bytes.count - body else {
                // A data chunk cut short (a recording stopped midway): read what is there.
                if id == "data" { samples = bytes[body...]; break }
                throw WAVError(path, "chunk '\(id)' claims \(size) bytes but \(bytes.count - body) remain")
            }
            if id == "fmt " {
                guard size >= 16 else { throw WAVError(path, "fmt chunk of \(size) bytes, expected at least 16") }
                var formatTag = u16(body)
                if formatTag == 0xFFFE && size >= 26 { formatTag = u16(body + 24) }  // WAVE_FORMAT_EXTENSIBLE: the subformat
                format = (formatTag, u16(body + 2), u32(body + 4), u16(body + 14))
            } else if id == "data" {
                samples = bytes[body..<(body + size)]
            }
            at = body + size + (size & 1)
        }
        guard let format else { throw WAVError(path, "no fmt chunk") }
        guard let samples else { throw WAVError(path, "no data chunk") }
        guard format.channels >= 1, format.rate >= 1 else { throw WAVError(path, "\(format.channels) channels at \(format.rate) Hz") }
        let width: Int
        switch (format.tag, format.bits) {
        case (1, 16): width = 2
        case (1, 24): width = 3
        case (1, 32), (3, 32): width = 4
        default: throw WAVError(path, "format \(format.tag) with \(format.bits)-bit samples; reads 16-, 24- and 32-bit PCM and 32-bit float")
        }
        let frames = samples.count / (width * format.channels)
        var channels = Array(repeating: [Float](repeating: 0, count: frames), count: format.channels)
        let start = samples.startIndex
        for frame in 0..<frames {
            for channel in 0..<format.channels {
                let p = start + (frame * format.channels + channel) * width
                switch (format.tag, width) {
                case (1, 2): channels[channel][frame] = Float(Int16(bitPattern: UInt16(u16(p)))) / 32768
                case (1, 3):
                    let raw = Int32(bitPattern: UInt32(bytes[p]) << 8 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 24)
                    channels[channel][frame] = Float(raw >> 8) / 8_388_608
                case (1, 4): channels[channel][frame] = Float(Int32(bitPattern: UInt32(u32(p)))) / 2_147_483_648
                default: channels[channel][frame] = Float(bitPattern: UInt32(u32(p)))
                }
            }
        }
        return WAVAudio(sampleRate: format.rate, channels: channels)
    }

    /// The file's bytes. Integer formats scale by 2^(bits−1), as `parse`
    /// does, round to nearest and clip to the type's range, so integer
    /// samples read and written back are unchanged.
    public static func bytes(_ audio: WAVAudio, format: WAVSampleFormat = .float32) -> [UInt8] {
        let width = format.bits / 8, count = audio.channels.count
        let dataSize = audio.frames * count * width
        var out: [UInt8] = []
        out.reserveCapacity(44 + dataSize)
        func u16(_ v: Int) { out += [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func u32(_ v: Int) { u16(v & 0xffff); u16(v >> 16 & 0xffff) }
        out += Array("RIFF".utf8); u32(36 + dataSize); out += Array("WAVEfmt ".utf8)
        u32(16); u16(format == .float32 ? 3 : 1); u16(count); u32(audio.sampleRate)
        u32(audio.sampleRate * count * width); u16(count * width); u16(format.bits)
        out += Array("data".utf8); u32(dataSize)
        for frame in 0..<audio.frames {
            for channel in audio.channels {
                // NaN is written as silence and infinities as full scale: never a trap.
                let v = channel[frame].isNaN ? 0 : max(-2, min(2, channel[frame]))
                switch format {
                case .float32: u32(Int(channel[frame].bitPattern))
                case .pcm16:
                    let q = max(-32768, min(32767, Int((Double(v) * 32768).rounded())))
                    u16(Int(UInt16(bitPattern: Int16(q))))
                case .pcm24:
                    let q = max(-8_388_608, min(8_388_607, Int((Double(v) * 8_388_608).rounded())))
                    let bits = UInt32(bitPattern: Int32(q))
                    out += [UInt8(bits & 0xff), UInt8(bits >> 8 & 0xff), UInt8(bits >> 16 & 0xff)]
                }
            }
        }
        return out
    }

    public static func write(_ audio: WAVAudio, to path: String, format: WAVSampleFormat = .float32) throws {
        do {
            try Data(bytes(audio, format: format)).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw WAVError(path, "cannot write: \(error.localizedDescription)")
        }
    }
}

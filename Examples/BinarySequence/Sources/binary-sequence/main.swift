// binary-sequence: streams bits through the seed tutorial's binary-sequence
// RNN, one kernel step per bit, printing the head's class probabilities after
// each bit.
//
//   swift run binary-sequence 0110100111      (bits as an argument)
//   echo 0110 | swift run binary-sequence     (or on standard input)
import BinarySequenceModel
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let text = CommandLine.arguments.count > 1 ? CommandLine.arguments.dropFirst().joined() : (readLine() ?? "")
let bits = text.filter { !$0.isWhitespace }
guard !bits.isEmpty, bits.allSatisfy({ $0 == "0" || $0 == "1" }) else {
    print("binary-sequence: expected a string of 0s and 1s, found '\(text)'")
    exit(2)
}

var stream = BitStream()
for bit in bits {
    stream.push(bit == "1")
    let (p0, p1) = stream.probabilities
    print("after \(stream.count) bit(s) ending in \(bit): class 0 \(p0), class 1 \(p1)")
}

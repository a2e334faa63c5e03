#!/usr/bin/perl
# SMTP sink for tests: accepts every message and stores it.
#
#   perl t/fakes/smtp.pl --port 0 --dir DIR [--parent PID]
#
# Prints "PORT <n>" on stdout and writes DIR/port.  Message n (1, 2, ...) is
# written as DIR/<n>.eml (the DATA, dot-unstuffed, CRLF kept) and then
# DIR/<n>.json ({mail_from, rcpt_to[], helo, auth_user, size, at}); the .json
# appears last, so once it exists the .eml is complete.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Getopt::Long;
use IO::Socket::INET;
use IO::Select;
use File::Path qw(make_path);
use MIME::Base64 qw(decode_base64);
use MiniHTTPD;

my %opt = (port => 0);
GetOptions(\%opt, 'port=i', 'dir=s', 'state=s', 'parent=i')
    or die "usage: $0 --port P --dir DIR [--parent PID]\n";
my $DIR = $opt{dir} // $opt{state} or die "--dir DIR is required\n";
make_path($DIR);

use constant IDLE_TIMEOUT => 60;
my $HOST = 'fake-smtp.test';

# Reads one line (CRLF or LF terminated); undef on EOF or idle timeout.
sub read_line {
    my ($c) = @_;
    while (1) {
        my $i = index $c->{buf}, "\n";
        return substr $c->{buf}, 0, $i + 1, '' if $i >= 0;
        return undef unless IO::Select->new($c->{sock})->can_read(IDLE_TIMEOUT);
        my $n = sysread $c->{sock}, my $chunk, 65536;
        return undef unless $n;
        $c->{buf} .= $chunk;
    }
}

sub reply { my ($c, $text) = @_; syswrite $c->{sock}, "$text\r\n" }

sub next_number {
    return MiniHTTPD::state_txn($DIR, '.counter.json', { n => 0 }, sub { return ++$_[0]{n} });
}

sub store_message {
    my ($env, $data) = @_;
    my $n = next_number();
    for ([eml => $data], [json => $MiniHTTPD::JSON->encode({ %$env, size => length $data, at => MiniHTTPD::now_ms() / 1000 })]) {
        my ($ext, $content) = @$_;
        open my $fh, '>:raw', "$DIR/.$n.$ext.tmp" or die "write: $!";
        print $fh $content;
        close $fh;
        rename "$DIR/.$n.$ext.tmp", "$DIR/$n.$ext" or die "rename: $!";
    }
    return $n;
}

sub address_of {
    my ($arg) = @_;
    my ($addr) = $arg =~ /^\s*<([^>]*)>/;
    ($addr) = $arg =~ /^\s*(\S+)/ unless defined $addr;
    return $addr;
}

sub session {
    my ($sock) = @_;
    binmode $sock;
    my $c = { sock => $sock, buf => '' };
    my ($helo, $auth_user, $from, @rcpt);
    reply($c, "220 $HOST ESMTP fake sink ready");
    while (defined(my $line = read_line($c))) {
        $line =~ s/\r?\n\z//;
        my ($verb, $arg) = $line =~ /^(\S+)\s*(.*)$/;
        $verb = uc($verb // '');
        if ($verb eq 'EHLO') {
            $helo = $arg;
            syswrite $sock, "250-$HOST greets $arg\r\n250-8BITMIME\r\n250-SIZE 52428800\r\n250-AUTH PLAIN LOGIN\r\n250 SMTPUTF8\r\n";
        }
        elsif ($verb eq 'HELO') { $helo = $arg; reply($c, "250 $HOST") }
        elsif ($verb eq 'AUTH') {
            my ($mech, $initial) = split ' ', $arg, 2;
            $mech = uc($mech // '');
            if ($mech eq 'PLAIN') {
                if (!defined $initial) { reply($c, '334 '); $initial = read_line($c) // last; $initial =~ s/\s+$// }
                (undef, $auth_user) = split /\0/, decode_base64($initial);
                reply($c, '235 2.7.0 Authentication successful');
            }
            elsif ($mech eq 'LOGIN') {
                my $user = $initial;
                if (!defined $user) { reply($c, '334 VXNlcm5hbWU6'); $user = read_line($c) // last }
                reply($c, '334 UGFzc3dvcmQ6');
                read_line($c) // last;
                $auth_user = decode_base64($user);
                reply($c, '235 2.7.0 Authentication successful');
            }
            else { reply($c, '504 5.5.4 Unrecognized authentication type') }
        }
        elsif ($verb eq 'MAIL') {
            if (!defined $helo)                 { reply($c, '503 5.5.1 Send HELO/EHLO first'); next }
            my ($a) = $arg =~ /^FROM:\s*(.*)$/i or do { reply($c, '501 5.5.4 Syntax: MAIL FROM:<address>'); next };
            $from = address_of($a);
            @rcpt = ();
            reply($c, '250 2.1.0 OK');
        }
        elsif ($verb eq 'RCPT') {
            if (!defined $from)                 { reply($c, '503 5.5.1 Need MAIL before RCPT'); next }
            my ($a) = $arg =~ /^TO:\s*(.*)$/i or do { reply($c, '501 5.5.4 Syntax: RCPT TO:<address>'); next };
            push @rcpt, address_of($a);
            reply($c, '250 2.1.5 OK');
        }
        elsif ($verb eq 'DATA') {
            if (!@rcpt) { reply($c, '503 5.5.1 Need RCPT before DATA'); next }
            reply($c, '354 End data with <CR><LF>.<CR><LF>');
            my $data = '';
            my $complete = 0;
            while (defined(my $l = read_line($c))) {
                if ($l =~ /^\.\r?\n\z/) { $complete = 1; last }
                $l =~ s/^\.//;                  # dot-unstuffing
                $data .= $l;
            }
            last unless $complete;
            my $n = store_message({ mail_from => $from, rcpt_to => [@rcpt], helo => $helo, auth_user => $auth_user }, $data);
            reply($c, "250 2.0.0 OK: queued as $n");
            ($from, @rcpt) = ();
        }
        elsif ($verb eq 'RSET') { ($from, @rcpt) = (); reply($c, '250 2.0.0 OK') }
        elsif ($verb eq 'NOOP') { reply($c, '250 2.0.0 OK') }
        elsif ($verb eq 'VRFY') { reply($c, '252 2.1.5 Cannot VRFY user') }
        elsif ($verb eq 'QUIT') { reply($c, "221 2.0.0 $HOST closing"); last }
        else                    { reply($c, '502 5.5.2 Command not recognized') }
    }
}

sub main {
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $opt{port}, Proto => 'tcp',
                                       Listen => 64, ReuseAddr => 1)
        or die "cannot listen on 127.0.0.1:$opt{port}: $!\n";
    open my $pf, '>', "$DIR/port" or die "$DIR/port: $!";
    print $pf $listen->sockport, "\n";
    close $pf;
    $| = 1;
    print "PORT ", $listen->sockport, "\n";
    MiniHTTPD::serve_forked($listen, exists $opt{parent} ? $opt{parent} : getppid(), \&session);
    exit 0;
}

main();

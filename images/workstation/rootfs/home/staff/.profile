export PATH=/usr/local/bin:/usr/bin:/bin
export EDITOR=vi
alias ll='ls -l'
